pytest_plugins = ["tests.stackfixtures"]
