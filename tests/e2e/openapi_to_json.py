"""Converts PeerTube's OpenAPI YAML to JSON for Schemathesis.

Its examples hold bare dates, which YAML loads as datetimes: they are written back as ISO strings.
Usage: .venv/bin/python tests/e2e/openapi_to_json.py IN.yaml OUT.json
"""
import json
import sys

import yaml

with open(sys.argv[1], encoding="utf-8") as source:
    document = yaml.safe_load(source)
with open(sys.argv[2], "w", encoding="utf-8") as target:
    json.dump(document, target, default=str)
