// Consumer tests written with @pact-foundation/pact (PactV3): a small Memgraph client and a
// small Hasura client, each tested against Pact's mock server, which writes their pact files to
// the folder given as the first argument. Run by tests/it/contract_pact.rs, then verified
// against offcloud by verify.cjs.
//
// A third consumer expects what offcloud does not answer (a field Memgraph's beliefs do not
// have): its pact is valid for the mock server, and the verifier must reject it.

const assert = require("node:assert/strict");
const { PactV3, MatchersV3 } = require("@pact-foundation/pact");

const { like, eachLike, string, integer } = MatchersV3;
const dir = process.argv[2];
const MEMGRAPH_KEY = "mg_test_pact_00000000000000000000000000000";
const HASURA_PAT = "hasura_test_pact_000000000000000000000000000";

// ---- the clients under test ----------------------------------------------------------------

async function listBeliefs(baseUrl, apiKey, subjectId) {
  const response = await fetch(`${baseUrl}/v1/beliefs?subject_id=${encodeURIComponent(subjectId)}`, {
    headers: { "X-API-Key": apiKey },
  });
  if (!response.ok) throw new Error(`GET /v1/beliefs: ${response.status}`);
  return (await response.json()).items;
}

async function createBelief(baseUrl, apiKey, belief) {
  const response = await fetch(`${baseUrl}/v1/beliefs`, {
    method: "POST",
    headers: { "X-API-Key": apiKey, "Content-Type": "application/json" },
    body: JSON.stringify(belief),
  });
  if (response.status !== 201) throw new Error(`POST /v1/beliefs: ${response.status}`);
  return response.json();
}

async function projectNames(baseUrl, pat) {
  const response = await fetch(`${baseUrl}/v1/graphql`, {
    method: "POST",
    headers: { Authorization: `pat ${pat}`, "Content-Type": "application/json" },
    body: JSON.stringify({ query: "query { projects { id name } }" }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data.projects.map((p) => p.name);
}

// ---- the consumer tests ------------------------------------------------------------------

async function memgraphConsumer() {
  const pact = new PactV3({ consumer: "memgraph-client", provider: "memgraph", dir, logLevel: "warn" });
  pact
    .given("a tenant with a belief")
    .uponReceiving("a request for a subject's beliefs")
    .withRequest({
      method: "GET",
      path: "/v1/beliefs",
      query: { subject_id: "user-42" },
      headers: { "X-API-Key": MEMGRAPH_KEY },
    })
    .willRespondWith({
      status: 200,
      headers: { "Content-Type": "application/json" },
      body: {
        items: eachLike({ id: string("44444444-4444-4444-8444-444444444444"), subject_id: "user-42", key: "favourite_colour", value: "blue", confidence: like(0.95) }),
        count: integer(1),
      },
    });
  await pact.executeTest(async (mock) => {
    const beliefs = await listBeliefs(mock.url, MEMGRAPH_KEY, "user-42");
    assert.equal(beliefs[0].value, "blue");
  });

  const create = new PactV3({ consumer: "memgraph-client", provider: "memgraph", dir, logLevel: "warn" });
  create
    .given("a tenant with a belief")
    .uponReceiving("a new belief")
    .withRequest({
      method: "POST",
      path: "/v1/beliefs",
      headers: { "X-API-Key": MEMGRAPH_KEY, "Content-Type": "application/json" },
      body: { subject_id: "user-42", key: "favourite_food", value: "tea" },
    })
    .willRespondWith({
      status: 201,
      body: { id: string("55555555-5555-4555-8555-555555555555"), key: "favourite_food", value: "tea", version: integer(1) },
    });
  await create.executeTest(async (mock) => {
    const belief = await createBelief(mock.url, MEMGRAPH_KEY, { subject_id: "user-42", key: "favourite_food", value: "tea" });
    assert.equal(belief.version, 1);
  });
}

async function hasuraConsumer() {
  const pact = new PactV3({ consumer: "hasura-client", provider: "hasura", dir, logLevel: "warn" });
  pact
    .given("a user with a project")
    .uponReceiving("a query for the user's projects")
    .withRequest({
      method: "POST",
      path: "/v1/graphql",
      headers: { Authorization: `pat ${HASURA_PAT}`, "Content-Type": "application/json" },
      body: { query: "query { projects { id name } }" },
    })
    .willRespondWith({
      status: 200,
      body: { data: { projects: eachLike({ id: string("66666666-6666-4666-8666-666666666666"), name: "acme-pact" }) } },
    });
  await pact.executeTest(async (mock) => {
    assert.deepEqual(await projectNames(mock.url, HASURA_PAT), ["acme-pact"]);
  });
}

async function wrongConsumer() {
  const pact = new PactV3({ consumer: "wrong-client", provider: "memgraph", dir, logLevel: "warn" });
  pact
    .given("a tenant with a belief")
    .uponReceiving("a request for beliefs with a field Memgraph does not have")
    .withRequest({
      method: "GET",
      path: "/v1/beliefs",
      query: { subject_id: "user-42" },
      headers: { "X-API-Key": MEMGRAPH_KEY },
    })
    .willRespondWith({
      status: 200,
      body: { items: eachLike({ belief_text: string("blue") }), count: integer(1) },
    });
  await pact.executeTest(async (mock) => {
    const beliefs = await listBeliefs(mock.url, MEMGRAPH_KEY, "user-42");
    assert.equal(beliefs[0].belief_text, "blue");
  });
}

(async () => {
  await memgraphConsumer();
  await hasuraConsumer();
  await wrongConsumer();
  console.log("consumer tests passed");
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
