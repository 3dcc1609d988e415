"""The composition root: the `antrean` command and the tools that put the apps together (the
demo hall, the simulated day, the doctor, backup). It imports the apps and the library; nothing
imports it but the tests (the import-linter contracts in pyproject.toml keep it so)."""
