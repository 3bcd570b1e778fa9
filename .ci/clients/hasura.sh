# The real Python gql client, in a virtualenv, for tests/it/hasura/gql_client.rs.
python3 -m venv target/hasura-venv
target/hasura-venv/bin/python -m pip install --quiet --disable-pip-version-check "gql[requests]==3.5.3"
export OFFCLOUD_GQL_PYTHON="$PWD/target/hasura-venv/bin/python"
