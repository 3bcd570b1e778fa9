# Python requests, in a virtualenv, for tests/it/typedb/clients.rs (curl comes with the system).
python3 -m venv target/typedb-venv
target/typedb-venv/bin/python -m pip install --quiet --disable-pip-version-check requests==2.34.2
export OFFCLOUD_TYPEDB_PYTHON="$PWD/target/typedb-venv/bin/python"
