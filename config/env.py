"""Environment parsing shared by every settings module."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A developer may keep local overrides in .env; production sets real environment variables.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
