# The real slash-graphql CLI (npm), for tests/it/dgraph/cli.rs.
npm install --no-audit --no-fund --silent --prefix target/dgraph-cli slash-graphql@1.16.7
export OFFCLOUD_DGRAPH_CLI="$PWD/target/dgraph-cli/node_modules/.bin/slash-graphql"
