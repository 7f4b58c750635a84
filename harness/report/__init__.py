"""The report model (compat) and its renderers: Markdown, HTML, the terminal's progress; suggestions and the audit read it."""
