"""The pipeline's stages, in order: select, provision, interpreters, lock, fingerprint, disk, budget, execute, collect, invocations, classify, verdicts; pipeline runs them."""
