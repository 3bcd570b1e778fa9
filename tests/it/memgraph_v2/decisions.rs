//! Decisions, outcomes and explanations.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{believe, decide, id, ids};
use crate::support::{TestServer, detail};

#[tokio::test]
async fn a_decision_records_goal_reasoning_tools_and_beliefs() {
    let s = TestServer::start().await;
    let a = s.onboard("d1@example.com").await;
    let belief = believe(&s, a.key(), "u1", "deploy_day", "Deploys go out on Fridays").await;
    let d = decide(
        &s,
        a.key(),
        json!({"goal": "Deploy the billing service", "create_snapshot": false,
               "reasoning_steps": [{"step": 1, "description": "Check the calendar"}],
               "tools_used": [{"tool_name": "kubectl", "tool_input": "apply"}],
               "beliefs_used": [belief["id"]], "confidence": 0.7, "agent_id": "ops-bot",
               "user_id": "u1", "episode_id": "ep-1"}),
    )
    .await;
    let expected = json!({
        "id": d["id"], "tenant_id": a.tenant_id, "goal": "Deploy the billing service",
        "reasoning_steps": [{"step": 1, "description": "Check the calendar"}],
        "tools_used": [{"tool_name": "kubectl", "tool_input": "apply"}],
        "beliefs_used": [belief["id"]], "confidence": 0.7, "outcome": null,
        "outcome_assessment": null, "feedback": null, "agent_id": "ops-bot", "user_id": "u1",
        "episode_id": "ep-1", "context_snapshot": null, "created_at": d["created_at"],
        "updated_at": d["created_at"], "outcome_recorded_at": null,
    });
    let mut created = expected.clone();
    created["beliefs_adjusted"] = json!([]);
    assert_eq!(d, created);
    let got = s.get(&format!("/v2/decisions/{}", id(&d)), a.key()).await;
    assert_eq!(got, (StatusCode::OK, expected));
    // The smallest decision.
    let bare = decide(&s, a.key(), json!({"goal": "Say hi"})).await;
    assert_eq!(bare["reasoning_steps"], json!([]));
    assert_eq!(bare["beliefs_used"], json!([]));
    assert_eq!(bare["agent_id"], Value::Null);
}

#[tokio::test]
async fn an_outcome_reported_later_moves_the_confidence_of_the_beliefs_used_once() {
    let s = TestServer::start().await;
    let a = s.onboard("d2@example.com").await;
    let fridays = believe(&s, a.key(), "u1", "deploy_day", "Deploys go out on Fridays").await;
    let helm = believe(&s, a.key(), "u1", "tool", "We use Helm").await;
    let d = decide(
        &s,
        a.key(),
        json!({"goal": "Deploy on Friday", "beliefs_used": [fridays["id"], "not-a-belief"]}),
    )
    .await;
    s.advance("default", Duration::from_secs(2)).await;
    let (status, recorded) = s
        .post(
            "/v2/outcomes/record",
            a.key(),
            json!({"decision_id": d["id"], "outcome": "FAILURE",
                   "feedback": "Fridays are frozen"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(recorded["status"], "recorded");
    assert_eq!(
        recorded["beliefs_adjusted"],
        json!([{"id": fridays["id"], "previous_confidence": 0.9, "confidence": 0.72}])
    );
    let decision = &recorded["decision"];
    assert_eq!(decision["outcome"], "FAILURE");
    assert_eq!(decision["feedback"], "Fridays are frozen");
    assert_eq!(decision["outcome_recorded_at"], decision["updated_at"]);
    assert!(decision["updated_at"].as_str() > d["updated_at"].as_str());
    let (_, now) = s
        .get(&format!("/v1/beliefs/{}", id(&fridays)), a.key())
        .await;
    assert_eq!(now["confidence"], 0.72);
    let (_, untouched) = s.get(&format!("/v1/beliefs/{}", id(&helm)), a.key()).await;
    assert_eq!(untouched["confidence"], 0.9);

    // The same outcome again changes nothing; a success then raises it a little.
    let again = json!({"decision_id": d["id"], "outcome": "FAILURE"});
    let (_, repeat) = s.post("/v2/outcomes/record", a.key(), again).await;
    assert_eq!(repeat["beliefs_adjusted"], json!([]));
    assert_eq!(repeat["decision"]["feedback"], "Fridays are frozen");
    let success = json!({"decision_id": d["id"], "outcome": "SUCCESS"});
    let (_, better) = s.post("/v2/outcomes/record", a.key(), success).await;
    assert_eq!(
        better["beliefs_adjusted"],
        json!([{"id": fridays["id"], "previous_confidence": 0.72, "confidence": 0.77}])
    );

    // An outcome given at once applies the same rule.
    let at_once = decide(
        &s,
        a.key(),
        json!({"goal": "Use Helm", "beliefs_used": [helm["id"]], "outcome": "SUCCESS"}),
    )
    .await;
    assert_eq!(
        at_once["beliefs_adjusted"],
        json!([{"id": helm["id"], "previous_confidence": 0.9, "confidence": 0.95}])
    );
    assert_eq!(at_once["outcome_recorded_at"], at_once["created_at"]);

    assert_eq!(
        s.post(
            "/v2/outcomes/record",
            a.key(),
            json!({"decision_id": "nope", "outcome": "SUCCESS"})
        )
        .await,
        detail(StatusCode::NOT_FOUND, "Decision not found")
    );
    let (status, body) = s
        .post(
            "/v2/outcomes/record",
            a.key(),
            json!({"decision_id": d["id"], "outcome": "success"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let expected = "'SUCCESS', 'FAILURE', 'PARTIAL', 'UNKNOWN' or 'REVERTED'";
    assert_eq!(
        body,
        json!({"detail": [{"type": "literal_error", "loc": ["body", "outcome"],
                           "msg": format!("Input should be {expected}"), "input": "success",
                           "ctx": {"expected": expected}}]})
    );
}

#[tokio::test]
async fn explain_answers_from_the_decision_and_its_beliefs_as_they_are_now() {
    let s = TestServer::start().await;
    let a = s.onboard("d3@example.com").await;
    let fridays = believe(&s, a.key(), "u1", "deploy_day", "Deploys go out on Fridays").await;
    let helm = believe(&s, a.key(), "u1", "tool", "We use Helm").await;
    let d = decide(
        &s,
        a.key(),
        json!({"goal": "Deploy the billing service.", "create_snapshot": true,
               "reasoning_steps": [{"step": 1}, {"step": 2}],
               "tools_used": [{"tool_name": "kubectl"}, {"tool_name": "helm"}],
               "beliefs_used": [fridays["id"], helm["id"]], "confidence": 0.6}),
    )
    .await;
    let snapshot = |b: &Value| {
        json!({"id": b["id"], "subject_id": "u1", "key": b["key"], "value": b["value"],
               "confidence": 0.9, "epistemic_status": "active"})
    };
    assert_eq!(
        d["context_snapshot"],
        json!({"created_at": d["created_at"], "beliefs": [snapshot(&fridays), snapshot(&helm)]})
    );
    // Since then: the outcome lowers one belief; the other is forgotten.
    let outcome = json!({"decision_id": d["id"], "outcome": "FAILURE", "feedback": "Frozen."});
    s.post("/v2/outcomes/record", a.key(), outcome).await;
    s.delete(&format!("/v1/beliefs/{}", id(&helm)), a.key())
        .await;

    let (status, e) = s
        .get(&format!("/v2/decisions/{}/explain", id(&d)), a.key())
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, fridays_now) = s
        .get(&format!("/v1/beliefs/{}", id(&fridays)), a.key())
        .await;
    assert_eq!(
        e,
        json!({
            "decision_id": d["id"], "goal": "Deploy the billing service.", "outcome": "FAILURE",
            "outcome_assessment": null, "feedback": "Frozen.", "confidence": 0.6,
            "reasoning_steps": [{"step": 1}, {"step": 2}],
            "tools_used": [{"tool_name": "kubectl"}, {"tool_name": "helm"}],
            "beliefs_used": [
                {"id": fridays["id"], "found": true, "belief": fridays_now,
                 "at_decision": snapshot(&fridays), "changed_since_decision": true},
                {"id": helm["id"], "found": false, "belief": null,
                 "at_decision": snapshot(&helm), "changed_since_decision": true}],
            "context_snapshot": d["context_snapshot"],
            "summary": "Goal: Deploy the billing service. 2 reasoning steps. Tools used: kubectl, \
                        helm. Relied on 2 beliefs, 1 changed since, 1 no longer stored. \
                        Outcome: FAILURE (Frozen).",
        })
    );
    assert_eq!(
        s.get("/v2/decisions/nope/explain", a.key()).await,
        detail(StatusCode::NOT_FOUND, "Decision not found")
    );
}

#[tokio::test]
async fn decisions_are_listed_newest_first_by_agent_user_and_outcome_and_deleted() {
    let s = TestServer::start().await;
    let a = s.onboard("d4@example.com").await;
    let b = s.onboard("d4-other@example.com").await;
    let one = decide(
        &s,
        a.key(),
        json!({"goal": "one", "agent_id": "bot", "user_id": "u1"}),
    )
    .await;
    s.advance("default", Duration::from_secs(1)).await;
    let two = decide(
        &s,
        a.key(),
        json!({"goal": "two", "agent_id": "bot", "outcome": "SUCCESS"}),
    )
    .await;
    s.advance("default", Duration::from_secs(1)).await;
    let three = decide(&s, a.key(), json!({"goal": "three", "user_id": "u1"})).await;
    decide(&s, b.key(), json!({"goal": "theirs", "agent_id": "bot"})).await;

    let list = |q: &'static str| s.get(q, a.key());
    let (status, all) = list("/v2/decisions").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&all), [id(&three), id(&two), id(&one)]);
    assert_eq!(
        ids(&list("/v2/decisions?agent_id=bot").await.1),
        [id(&two), id(&one)]
    );
    assert_eq!(
        ids(&list("/v2/decisions?user_id=u1").await.1),
        [id(&three), id(&one)]
    );
    assert_eq!(
        ids(&list("/v2/decisions?outcome=SUCCESS").await.1),
        [id(&two)]
    );
    assert_eq!(
        ids(&list("/v2/decisions?agent_id=bot&user_id=u1").await.1),
        [id(&one)]
    );
    assert_eq!(ids(&list("/v2/decisions?limit=1").await.1), [id(&three)]);
    let (status, body) = list("/v2/decisions?outcome=WON").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["loc"], json!(["query", "outcome"]));
    assert_eq!(body["detail"][0]["type"], "literal_error");

    let path = format!("/v2/decisions/{}", id(&two));
    assert_eq!(
        s.get(&path, b.key()).await,
        detail(StatusCode::NOT_FOUND, "Decision not found")
    );
    assert_eq!(
        s.delete(&path, a.key()).await,
        (
            StatusCode::OK,
            json!({"status": "deleted", "id": two["id"]})
        )
    );
    assert_eq!(
        s.delete(&path, a.key()).await,
        detail(StatusCode::NOT_FOUND, "Decision not found")
    );
    assert_eq!(ids(&list("/v2/decisions").await.1), [id(&three), id(&one)]);
}

#[tokio::test]
async fn bad_decision_bodies_get_fastapi_422s() {
    let s = TestServer::start().await;
    let a = s.onboard("d5@example.com").await;
    let (status, body) = s
        .post(
            "/v2/decisions",
            a.key(),
            json!({"reasoning_steps": [{"step": 1}, "think"], "beliefs_used": "b1",
                   "confidence": "sure", "create_snapshot": "maybe"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let input = json!({"reasoning_steps": [{"step": 1}, "think"], "beliefs_used": "b1",
                       "confidence": "sure", "create_snapshot": "maybe"});
    assert_eq!(
        body,
        json!({"detail": [
            {"type": "missing", "loc": ["body", "goal"], "msg": "Field required", "input": input},
            {"type": "dict_type", "loc": ["body", "reasoning_steps", 1],
             "msg": "Input should be a valid dictionary", "input": "think"},
            {"type": "list_type", "loc": ["body", "beliefs_used"],
             "msg": "Input should be a valid list", "input": "b1"},
            {"type": "float_parsing", "loc": ["body", "confidence"],
             "msg": "Input should be a valid number, unable to parse string as a number",
             "input": "sure"},
            {"type": "bool_parsing", "loc": ["body", "create_snapshot"],
             "msg": "Input should be a valid boolean, unable to interpret input",
             "input": "maybe"}]})
    );
}
