#!/usr/bin/env bash
# Installs the peers `cargo bench --bench load -- --peers` compares offcloud with, pinned, under
# one folder (default: target/peers): a Python venv for moto and FastAPI, an npm prefix for Prism
# and json-server. Each peer installs on its own: one that fails leaves a log, not a broken run.
# Once a peer's stamp file names the pinned version, nothing is fetched again.
set -u

dir=${1:-"$(dirname "$0")/../target/peers"}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

MOTO=5.2.5
FASTAPI=0.163.2
UVICORN=0.54.0
PRISM=5.16.0
JSON_SERVER=0.17.4

# install NAME VERSION-STAMP COMMAND...: runs COMMAND unless NAME.ok already holds the stamp.
install() {
    local name=$1 stamp=$2
    shift 2
    if [ "$(cat "$dir/$name.ok" 2>/dev/null)" = "$stamp" ]; then
        return 0
    fi
    rm -f "$dir/$name.ok"
    echo "peers: installing $name ($stamp) into $dir" >&2
    if "$@" >"$dir/$name.log" 2>&1; then
        echo "$stamp" >"$dir/$name.ok"
    else
        echo "peers: $name did not install; see $dir/$name.log" >&2
    fi
}

venv() {
    [ -x "$dir/venv/bin/python" ] || python3 -m venv "$dir/venv" || return 1
    "$dir/venv/bin/python" -m pip install --quiet "$@"
}

npm_install() {
    command -v npm >/dev/null || { echo "npm is not installed"; return 1; }
    npm install --prefix "$dir/npm" --no-audit --no-fund --save-exact "$@"
}

install moto "moto[server]==$MOTO" venv "moto[server]==$MOTO"
install fastapi "fastapi==$FASTAPI uvicorn==$UVICORN" venv "fastapi==$FASTAPI" "uvicorn==$UVICORN"
install prism "@stoplight/prism-cli@$PRISM" npm_install "@stoplight/prism-cli@$PRISM"
install json-server "json-server@$JSON_SERVER" npm_install "json-server@$JSON_SERVER"
exit 0
