"""Use cases (application logic) that the API, the console, the CLI and the batch call: they
read and write the store and apply the engine's pure rules. No module here imports a router
or a console page."""
