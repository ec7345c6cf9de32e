"""Deployment files: nginx, compose, Kubernetes. A package so `python -m deploy.nginx.render` and
the tests can use the renderer; like `bench`, never installed with the app."""
