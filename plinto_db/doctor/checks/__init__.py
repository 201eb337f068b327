"""One module per health check; each exposes CHECK (a model.Check). registry.py lists them."""
