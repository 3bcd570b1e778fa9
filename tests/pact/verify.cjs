// Pact provider verification of offcloud with the real Verifier of @pact-foundation/pact: the
// pacts of consumers.cjs (folder in argv[2]), against offcloud's Memgraph and Hasura listeners
// ($MEMGRAPH_URL, $HASURA_URL), the provider states set up through $STATES_URL
// (`POST /_offcloud/provider-states`). Prints one JSON line: which verifications passed.

const path = require("node:path");
const { Verifier } = require("@pact-foundation/pact");

const dir = process.argv[2];
const statesUrl = process.env.STATES_URL;

async function verify(provider, baseUrl, pactFile) {
  try {
    await new Verifier({
      provider,
      providerBaseUrl: baseUrl,
      pactUrls: [path.join(dir, pactFile)],
      providerStatesSetupUrl: statesUrl,
      logLevel: "warn",
    }).verifyProvider();
    return true;
  } catch (e) {
    console.error(`${pactFile}: ${e.message}`);
    return false;
  }
}

(async () => {
  const results = {
    memgraph: await verify("memgraph", process.env.MEMGRAPH_URL, "memgraph-client-memgraph.json"),
    hasura: await verify("hasura", process.env.HASURA_URL, "hasura-client-hasura.json"),
    wrong: await verify("memgraph", process.env.MEMGRAPH_URL, "wrong-client-memgraph.json"),
  };
  console.log(JSON.stringify(results));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
