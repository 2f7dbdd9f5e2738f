"""One lint rule per file; `pipeline.lint.registry` lists them."""
