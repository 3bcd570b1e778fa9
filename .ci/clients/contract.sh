# Contract testing, for tests/it/contract_pact.rs and tests/it/contract_schemathesis.rs: the Pact
# JS library (npm; its verifier ships as a prebuilt binary inside the npm packages) and
# schemathesis (PyPI), in a virtualenv.
npm install --no-audit --no-fund --silent --prefix target/contract-pact @pact-foundation/pact@17.1.4
export OFFCLOUD_PACT_NODE_MODULES="$PWD/target/contract-pact/node_modules"
python3 -m venv target/contract-venv
target/contract-venv/bin/python -m pip install --quiet --disable-pip-version-check "schemathesis==4.32.5"
export OFFCLOUD_SCHEMATHESIS="$PWD/target/contract-venv/bin/schemathesis"
