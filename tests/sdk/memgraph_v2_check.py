"""Runs one behaviour of the real Python memgraph-sdk's v2, sidecar and intelligence methods, of
its AsyncMemgraphClient, or of its MCP server (mcp.py, driven through the `mcp` package), against
a running offcloud.

Usage: memgraph_v2_check.py CHECK, with a fresh tenant in the environment:
  OFFCLOUD_BASE_URL   the SDK's base_url (ends in /v1)
  OFFCLOUD_API_KEY    a working key of that tenant
Started by tests/it/memgraph_sdk_v2.rs, one test per check. Exits non-zero, saying which check
failed, when the SDK does not get what it expects.
"""

import asyncio
import json
import os
import sys

import memgraph_sdk
from memgraph_sdk import AsyncMemgraphClient, MemgraphClient
from memgraph_sdk.exceptions import MemgraphAuthError, MemgraphValidationError

base_url = os.environ["OFFCLOUD_BASE_URL"]
api_key = os.environ["OFFCLOUD_API_KEY"]
checks = 0


def check(condition, message):
    global checks
    if not condition:
        print(f"FAILED: {message}", file=sys.stderr)
        sys.exit(1)
    checks += 1


def client():
    return MemgraphClient(api_key=api_key, base_url=base_url, max_retries=1)


def raises(error, status, call):
    try:
        call()
    except error as e:
        check(e.status_code == status, f"expected {status}, got {e.status_code}: {e}")
        return e
    check(False, f"expected {error.__name__} {status}")


def entities():
    """create/get/list/search/delete_entity, create/list_relationships, traverse_graph."""
    with client() as c:
        alice = c.create_entity("person", name="Alice Smith", aliases=["Ali"],
                                properties={"role": "cto"})
        check(isinstance(alice.get("id"), str), f"create_entity: {alice}")
        same = c.create_entity("person", name="alice smith", aliases=["A. Smith"])
        check(same["id"] == alice["id"] and same["aliases"] == ["Ali", "A. Smith"],
              f"the same name resolves: {same}")
        acme = c.create_entity("organization", name="Acme Corp")
        check(c.get_entity(alice["id"])["properties"] == {"role": "cto"}, "get_entity")
        listed = c.list_entities()
        check(isinstance(listed, list) and [e["id"] for e in listed] == [acme["id"], alice["id"]],
              f"list_entities: {listed}")
        check([e["id"] for e in c.list_entities(entity_type="person", limit=10)] == [alice["id"]],
              "list_entities by type")
        found = c.search_entities("ali")
        check(isinstance(found, list) and found[0]["id"] == alice["id"], f"search_entities: {found}")
        check(c.search_entities("acme corp", max_results=1)[0]["id"] == acme["id"], "search by name")
        check(c.search_entities("nothing like it") == [], "search finds nothing unrelated")

        works = c.create_relationship(alice["id"], acme["id"], "works_at", confidence=0.9,
                                      valid_from="2024-01-01T00:00:00Z", evidence_sources=["hr"])
        check(works["relation_type"] == "works_at" and works["confidence"] == 0.9,
              f"create_relationship: {works}")
        check([r["id"] for r in c.list_relationships(entity_id=acme["id"])] == [works["id"]],
              "list_relationships of an entity")
        check([r["id"] for r in c.list_relationships(relation_type="works_at", limit=5)]
              == [works["id"]], "list_relationships by type")
        walk = c.traverse_graph([alice["id"]], max_depth=1)
        check([(e["id"], e["depth"]) for e in walk["entities"]]
              == [(alice["id"], 0), (acme["id"], 1)], f"traverse_graph: {walk}")
        check([r["id"] for r in walk["relationships"]] == [works["id"]], "traverse relationships")
        # A relationship that ended is not followed unless asked.
        old = c.create_entity("organization", name="Old Co")
        c.create_relationship(alice["id"], old["id"], "worked_at", valid_to="2020-01-01T00:00:00Z")
        check(len(c.traverse_graph([alice["id"]])["entities"]) == 2, "temporal filter")
        check(len(c.traverse_graph([alice["id"]], temporal_filter=False)["entities"]) == 3,
              "without the temporal filter")

        gone = c.delete_entity(acme["id"])
        check(gone == {"status": "deleted", "id": acme["id"], "relationships_deleted": 1},
              f"delete_entity: {gone}")
        check([r["relation_type"] for r in c.list_relationships()] == ["worked_at"],
              "deleting an entity deletes its relationships")
        e = raises(MemgraphValidationError, 404, lambda: c.get_entity(acme["id"]))
        check("Entity not found" in str(e), f"404 message: {e}")
        e = raises(MemgraphValidationError, 422, lambda: c.list_entities(limit=0))
        check(e.response_body["detail"][0]["loc"] == ["query", "limit"], f"422: {e.response_body}")


def decisions():
    """record/get/list/delete_decision, record_outcome, explain_decision."""
    with client() as c:
        belief = c.remember("Deploys go out on Fridays", user_id="u")
        d = c.record_decision("Deploy the billing service",
                              reasoning_steps=[{"step": 1, "description": "Check the calendar"}],
                              tools_used=[{"tool_name": "kubectl", "tool_input": "apply"}],
                              beliefs_used=[belief["id"]], confidence=0.7, agent_id="ops-bot",
                              user_id="u", episode_id="ep-1", create_snapshot=True)
        check(isinstance(d.get("id"), str) and d["outcome"] is None, f"record_decision: {d}")
        got = c.get_decision(d["id"])
        check(got["goal"] == "Deploy the billing service" and got["beliefs_used"] == [belief["id"]],
              f"get_decision: {got}")
        check(got["context_snapshot"]["beliefs"][0]["confidence"] == 0.9, "the snapshot")
        listed = c.list_decisions(agent_id="ops-bot", user_id="u")
        check(isinstance(listed, list) and [x["id"] for x in listed] == [d["id"]],
              f"list_decisions: {listed}")

        outcome = c.record_outcome(d["id"], "failure", feedback="Fridays are frozen")
        check(outcome["decision"]["outcome"] == "FAILURE", f"record_outcome: {outcome}")
        check(outcome["beliefs_adjusted"] == [{"id": belief["id"], "previous_confidence": 0.9,
                                               "confidence": 0.72}], f"FAILURE lowers: {outcome}")
        check(c.get_beliefs(user_id="u")["items"][0]["confidence"] == 0.72, "the belief moved")
        why = c.explain_decision(d["id"])
        used = why["beliefs_used"][0]
        check(used["found"] and used["belief"]["confidence"] == 0.72
              and used["at_decision"]["confidence"] == 0.9 and used["changed_since_decision"],
              f"explain_decision: {why}")
        check("Outcome: FAILURE (Fridays are frozen)" in why["summary"], f"summary: {why}")
        check([x["id"] for x in c.list_decisions(outcome="FAILURE")] == [d["id"]],
              "list_decisions by outcome")
        check(c.list_decisions(outcome="SUCCESS", limit=5) == [], "no successes")

        check(c.delete_decision(d["id"]) == {"status": "deleted", "id": d["id"]}, "delete_decision")
        check(c.list_decisions() == [], "deleted")
        raises(MemgraphValidationError, 404, lambda: c.explain_decision(d["id"]))
        raises(MemgraphValidationError, 422, lambda: c.record_outcome(d["id"], "won"))


def contradictions():
    """list_contradictions, resolve_contradiction, and contradictions() agreeing with them."""
    with client() as c:
        c.sidecar_post_flight([{"role": "user", "content": "I live in Paris."}], user_id="u",
                              wait=True)
        c.sidecar_post_flight([{"role": "user", "content": "I moved to Berlin last month."}],
                              user_id="u", wait=True)
        open_ = c.list_contradictions(status="open")
        check(isinstance(open_, list) and len(open_) == 1, f"list_contradictions: {open_}")
        first = open_[0]
        check(first["key"] == "location" and first["status"] == "open"
              and [b["value"] for b in first["beliefs"]]
              == ["I live in Paris", "I moved to Berlin last month"], f"the pair: {first}")
        report = c.contradictions(user_id="u")
        check(report["contradictions"] == open_ and report["count"] == 1,
              f"contradictions() agrees with v2: {report}")
        # The newest value stays the active belief.
        active = [b["value"] for b in c.get_beliefs(user_id="u")["items"]]
        check(active == ["I moved to Berlin last month"], f"active beliefs: {active}")

        settled = c.resolve_contradiction(first["id"])
        check(settled["status"] == "resolved" and settled["resolved_by"] == "manual",
              f"resolve_contradiction: {settled}")
        check(c.list_contradictions(status="open") == [], "no longer open")
        check(c.contradictions()["contradictions"] == [], "v1 agrees")
        c.sidecar_post_flight([{"role": "user", "content": "My favourite colour is blue"}],
                              user_id="u", wait=True)
        c.sidecar_post_flight([{"role": "user", "content": "My favourite colour is green"}],
                              user_id="u", wait=True)
        colour = c.list_contradictions(status="open", limit=10)[0]
        dismissed = c.resolve_contradiction(colour["id"], resolution_status="dismissed",
                                            resolved_by="alice")
        check((dismissed["status"], dismissed["resolved_by"]) == ("dismissed", "alice"),
              f"dismiss: {dismissed}")
        check([x["id"] for x in c.list_contradictions()] == [colour["id"], first["id"]],
              "all, newest first")
        raises(MemgraphValidationError, 404, lambda: c.resolve_contradiction("nope"))


def sidecar():
    """sidecar_post_flight (queued and waited), sidecar_pre_flight, sidecar_process."""
    with client() as c:
        learned = c.sidecar_post_flight(
            [{"role": "user", "content": "I moved to Berlin last month."},
             {"role": "assistant", "content": "Welcome to Berlin!"}],
            user_id="u", thread_id="t1", wait=True)
        check(learned["status"] == "completed" and learned["events_recorded"] == 2,
              f"post-flight, waited: {learned}")
        check(any("Berlin" in b["value"] for b in learned["beliefs"]), f"a Berlin belief: {learned}")
        found = c.search("Berlin", user_id="u")
        belief_id = next(b["id"] for b in learned["beliefs"] if "Berlin" in b["value"])
        check(any(r["id"] == belief_id and r["type"] == "belief"
                  and r["content"] == "I moved to Berlin last month" for r in found["results"]),
              f"search finds it: {found}")
        queued = c.sidecar_post_flight(
            [{"role": "user", "content": "Always answer in British English."}], user_id="u")
        check(queued == {"status": "queued", "messages_received": 1}, f"post-flight: {queued}")

        pre = c.sidecar_pre_flight("Which city do I live in, Berlin?", user_id="u",
                                   thread_id="t1", token_budget=4000)
        check("I moved to Berlin last month" in pre["memory_context"], f"pre-flight: {pre}")
        check(pre["system_messages"] == [{"role": "system", "content": pre["memory_context"]}],
              "system messages")
        check(pre["memories_found"] >= 1 and pre["tokens_used"] <= 4000, "found, within budget")
        check([t["value"] for t in pre["profile"]["tenets"]] == ["Always answer in British English"],
              f"profile tenets: {pre['profile']}")
        tiny = c.sidecar_pre_flight("Berlin", user_id="u", token_budget=5)
        check(tiny["memory_context"] == "" and tiny["tokens_used"] == 0, f"budget: {tiny}")

        processed = c.sidecar_process(
            [{"role": "user", "content": "Remind me to book the dentist."},
             {"role": "assistant", "content": "Will do."},
             {"role": "user", "content": "What should I not forget?"}],
            user_id="u")
        check(processed["learning_triggered"] is True and processed["messages_learned"] == 2,
              f"process: {processed}")
        check("memory_context" in processed and "prospective_items" in processed, "process recalls")
        later = c.sidecar_pre_flight("anything", user_id="u")
        check([p["content"] for p in later["prospective_items"]] == ["Remind me to book the dentist"],
              f"reminders: {later['prospective_items']}")


def intelligence():
    """evaluate, mcis (and save), mcis_history, benchmark, benchmark_scenarios, analytics, health."""
    with client() as c:
        c.remember("We deploy on Kubernetes", user_id="u", category="architecture")
        c.remember("The staging database is PostgreSQL 16", user_id="u")
        e = c.evaluate("kubernetes deploy", "u")
        check(e["total"] >= 1 and e["results"][0]["content"] == "We deploy on Kubernetes",
              f"evaluate: {e}")
        check(set(e["results"][0]["breakdown"]) >= {"relevance", "status_weight", "confidence"},
              "a scoring breakdown")
        m = c.mcis()
        check(0 <= m["mcis"] <= 100 and m["grade"] in "ABCDF"
              and set(m["sub_scores"]) == {"accuracy", "consistency", "confidence",
                                           "decision_quality"}, f"mcis: {m}")
        check(c.mcis()["mcis"] == m["mcis"], "the same state, the same score")
        check(c.mcis_history()["history"] == [], "nothing saved yet")
        saved = c.mcis(save=True)
        mine = c.mcis(user_id="u", save=True)
        history = c.mcis_history()
        check(history["count"] == 1 and history["history"][0]["id"] == saved["snapshot_id"],
              f"mcis_history: {history}")
        check(c.mcis_history(user_id="u", limit=5)["history"][0]["id"] == mine["snapshot_id"],
              "a user's history")

        scenarios = c.benchmark_scenarios()
        names = [s["name"] for s in scenarios]
        check(names == ["contradiction_storm", "tenet_violation", "retrieval_accuracy", "locomo",
                        "deep_memory_retrieval"], f"benchmark_scenarios: {scenarios}")
        for name in names:
            run = c.benchmark(name)
            check(run["scenario"] == name and run["status"] == "completed"
                  and 0 <= run["score"] <= 100, f"benchmark {name}: {run}")
        check(c.benchmark("retrieval_accuracy")["cases"] == 2, "checks the stored beliefs")
        raises(MemgraphValidationError, 422, lambda: c.benchmark("speed"))

        a = c.analytics()
        check(a["memory"]["active_beliefs"] == 2 and a["decisions"]["total"] == 0
              and a["graph"] == {"entities": 0, "relationships": 0}, f"analytics: {a}")
        h = c.health(user_id="u")
        check(h["status"] == "healthy" and h["active_beliefs"] == 2, f"health: {h}")


def context():
    """get_context_graph with entities, relationships, decisions and a snapshot."""
    with client() as c:
        memory = c.remember("The billing service runs on Kubernetes", user_id="u")
        alice = c.create_entity("person", name="Alice")
        billing = c.create_entity("service", name="Billing", aliases=["billing service"])
        owns = c.create_relationship(alice["id"], billing["id"], "owns")
        d = c.record_decision("Scale the billing service", user_id="u", outcome="SUCCESS")
        g = c.get_context_graph("who owns the billing service", user_id="u", create_snapshot=True)
        check([m["id"] for m in g["memories"]] == [memory["id"]], f"memories: {g}")
        check([e["id"] for e in g["entities"]] == [billing["id"], alice["id"]], f"entities: {g}")
        check([r["id"] for r in g["relationships"]] == [owns["id"]], "relationships")
        check([x["id"] for x in g["decisions"]] == [d["id"]], "decisions")
        check(g["snapshot"]["decision_ids"] == [d["id"]], f"snapshot: {g['snapshot']}")
        bare = c.get_context_graph("who owns the billing service", user_id="u",
                                   include_decisions=False, include_graph=False)
        check((bare["entities"], bare["relationships"], bare["decisions"], bare["snapshot"])
              == ([], [], [], None), f"without graph and decisions: {bare}")


async def async_methods():
    async with AsyncMemgraphClient(api_key=api_key, base_url=base_url, max_retries=1) as c:
        check((await c.ping())["status"] == "healthy", "ping")
        tea = await c.remember("Prefers green tea", user_id="u", category="preference")
        check(isinstance(tea.get("id"), str), f"remember: {tea}")
        added = await c.add("My dentist moved to Friday", user_id="u")
        check(isinstance(added.get("event_id"), str), f"add: {added}")
        found = await c.search("green tea", user_id="u")
        check(found["results"][0]["id"] == tea["id"], f"search: {found}")
        beliefs = await c.get_beliefs(user_id="u")
        check([b["id"] for b in beliefs["items"]] == [tea["id"]], f"get_beliefs: {beliefs}")
        check((await c.health(user_id="u"))["active_beliefs"] == 1, "health")
        check((await c.contradictions())["contradictions"] == [], "contradictions")
        check((await c.evaluate("tea", "u"))["results"][0]["id"] == tea["id"], "evaluate")
        m = await c.mcis(save=True)
        check((await c.mcis_history())["history"][0]["id"] == m["snapshot_id"], "mcis_history")
        scenarios = await c.benchmark_scenarios()
        check(len(scenarios) == 5, f"benchmark_scenarios: {scenarios}")
        check((await c.benchmark("locomo"))["status"] == "completed", "benchmark")
        post = await c.sidecar_post_flight([{"role": "user", "content": "I live in Lisbon."}],
                                           user_id="u", thread_id="t")
        check(post["status"] == "queued", f"sidecar_post_flight: {post}")
        pre = await c.sidecar_pre_flight("Lisbon", user_id="u")
        check("I live in Lisbon" in pre["memory_context"], f"sidecar_pre_flight: {pre}")
        d = await c.record_decision("Order tea", beliefs_used=[tea["id"]],
                                    reasoning_steps=[{"step": 1}], confidence=0.8, user_id="u")
        graph = await c.get_context_graph("order tea", user_id="u")
        check([x["id"] for x in graph["decisions"]] == [d["id"]], f"get_context_graph: {graph}")
        outcome = await c.record_outcome(d["id"], "success", feedback="tasty")
        check(outcome["beliefs_adjusted"][0]["confidence"] == 0.95, f"record_outcome: {outcome}")
        check(await c.delete_decision(d["id"]) == {"status": "deleted", "id": d["id"]},
              "delete_decision")
        check(await c.forget(tea["id"]) == {"status": "deleted", "id": tea["id"]}, "forget")
        all_gone = await c.forget_all("u")
        check(all_gone["status"] == "deleted" and all_gone["deleted"] == 1,
              f"forget_all: {all_gone}")
        try:
            await c.forget(tea["id"])
            check(False, "forgetting twice should raise")
        except MemgraphValidationError as e:
            check(e.status_code == 404, f"404: {e}")


async def mcp_tools():
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    env = dict(os.environ, MEMGRAPH_API_URL=base_url, MEMGRAPH_API_KEY=api_key,
               MEMGRAPH_AGENT_USER_ID="mcp_user")
    env.pop("MEMGRAPH_TENANT_ID", None)
    server = StdioServerParameters(command=sys.executable, args=["-m", "memgraph_sdk.mcp"], env=env)

    async def call(session, tool, arguments):
        result = await session.call_tool(tool, arguments)
        return json.loads(result.content[0].text)

    async with stdio_client(server) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = sorted(t.name for t in (await session.list_tools()).tools)
            check(tools == ["memgraph_forget", "memgraph_profile", "memgraph_remember",
                            "memgraph_search", "memgraph_think"], f"tools: {tools}")
            stored = await call(session, "memgraph_remember",
                                {"text": "The API gateway is Envoy", "category": "architecture"})
            check(stored["success"] and isinstance(stored["belief_id"], str), f"remember: {stored}")
            found = await call(session, "memgraph_search", {"query": "which api gateway", "limit": 3})
            check(found["success"] and found["results"][0]["id"] == stored["belief_id"],
                  f"search: {found}")
            alias = await call(session, "memgraph_recall", {"query": "envoy"})
            check(alias["results_count"] == 1, f"recall alias: {alias}")
            thought = await call(session, "memgraph_think", {"messages": [
                {"role": "user", "content": "I moved to Berlin last month."},
                {"role": "assistant", "content": "Noted."}]})
            check(thought["success"] and thought["learning"]["triggered"], f"think: {thought}")
            learned = await call(session, "memgraph_search", {"query": "Berlin"})
            check(any("Berlin" in r["content"] for r in learned["results"]),
                  f"think learned: {learned}")
            profile = await call(session, "memgraph_profile", {})
            facts = [f["value"] for f in profile["profile"]["facts"]]
            check("The API gateway is Envoy" in facts and "I moved to Berlin last month" in facts,
                  f"profile: {profile}")
            recent = await session.read_resource("memgraph://memory/recent")
            check("Envoy" in recent.contents[0].text, f"recent memories: {recent}")
            status = await session.read_resource("memgraph://project/status")
            check("**Status**: healthy" in status.contents[0].text, f"status: {status}")
            forgot = await call(session, "memgraph_forget", {"belief_id": stored["belief_id"]})
            check(forgot["success"], f"forget: {forgot}")
            refused = await call(session, "memgraph_forget", {})
            check(not refused["success"], "deleting everything needs delete_all")
            wiped = await call(session, "memgraph_forget", {"delete_all": True})
            check(wiped["success"] and wiped["result"]["deleted"] >= 1, f"delete_all: {wiped}")
            empty = await call(session, "memgraph_profile", {})
            check(empty["profile"] == {"beliefs": [], "preferences": [], "facts": []},
                  f"after delete_all: {empty}")


def errors():
    """The SDK's error classes on the new routes: 401 auth, 404 and 422 validation."""
    with MemgraphClient(api_key="mg_live_not_a_real_key", base_url=base_url, max_retries=1) as c:
        raises(MemgraphAuthError, 401, lambda: c.list_entities())
        raises(MemgraphAuthError, 401, lambda: c.sidecar_pre_flight("hi", user_id="u"))
    with client() as c:
        raises(MemgraphValidationError, 404, lambda: c.get_decision("nope"))
        raises(MemgraphValidationError, 404, lambda: c.traverse_graph(["nope"]))
        e = raises(MemgraphValidationError, 422, lambda: c.traverse_graph([], max_depth=9))
        check([d["loc"] for d in e.response_body["detail"]]
              == [["body", "entity_ids"], ["body", "max_depth"]], f"422 body: {e.response_body}")


CHECKS = {
    "entities": entities,
    "decisions": decisions,
    "contradictions": contradictions,
    "sidecar": sidecar,
    "intelligence": intelligence,
    "context": context,
    "async": lambda: asyncio.run(async_methods()),
    "mcp": lambda: asyncio.run(mcp_tools()),
    "errors": errors,
}

name = sys.argv[1]
CHECKS[name]()
print(f"memgraph-sdk {memgraph_sdk.__version__} {name} against {base_url}: {checks} checks passed")
