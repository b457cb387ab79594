"""A small Django site that every benchmark runs in.

It installs the app beside the peers it is compared with (Django REST
framework's tokens, djangorestframework-api-key and django-rest-knox), so
that one process serves every variant of a comparison in the same run.
"""
