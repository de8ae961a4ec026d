# winlang's test kit as a pytest plugin: the http_server and recording_channel fixtures
pytest_plugins = ["winlang.testing"]
