# The real Python memgraph-sdk, in a virtualenv, for tests/it/memgraph_sdk.rs.
python3 -m venv target/sdk-venv
target/sdk-venv/bin/python -m pip install --quiet --disable-pip-version-check memgraph-sdk==0.8.6
export OFFCLOUD_SDK_PYTHON="$PWD/target/sdk-venv/bin/python"
