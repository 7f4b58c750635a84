from inference.shapes import NAMES, make_scenes, render_scene


def test_scenes_are_deterministic_per_seed():
    a, b = make_scenes(3, seed=5), make_scenes(3, seed=5)
    assert [s.boxes for s in a] == [s.boxes for s in b]
    assert a[0].image.tobytes() == b[0].image.tobytes()
    assert [s.boxes for s in make_scenes(3, seed=6)] != [s.boxes for s in a]


def test_scene_objects_lie_inside_and_do_not_overlap():
    import random

    rng = random.Random(3)
    for _ in range(30):
        scene = render_scene(rng, 200, 120)
        assert 1 <= len(scene.boxes) == len(scene.labels) <= 4
        assert scene.image.size == (200, 120) and scene.image.mode == "RGB"
        for i, (x1, y1, x2, y2) in enumerate(scene.boxes):
            assert 0 <= x1 < x2 <= 200 and 0 <= y1 < y2 <= 120
            assert scene.labels[i] in range(len(NAMES))
            for ox1, oy1, ox2, oy2 in scene.boxes[i + 1 :]:
                assert x2 <= ox1 or ox2 <= x1 or y2 <= oy1 or oy2 <= y1
