# openapi-spec-validator (with jsonschema), in a virtualenv, for tests/it/control_apidocs.rs.
python3 -m venv target/apidocs-venv
target/apidocs-venv/bin/python -m pip install --quiet --disable-pip-version-check "openapi-spec-validator==0.9.0"
export OFFCLOUD_APIDOCS_PYTHON="$PWD/target/apidocs-venv/bin/python"
