import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

pytest_plugins = ["tests.fixtures.tenants", "tests.fixtures.workers"]
