from tests.storage.mongo_fixtures import mongo_server  # noqa: F401  (a real PyMongo against mongoeco)
