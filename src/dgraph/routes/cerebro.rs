//! Cerebro's GraphQL entry, `POST /graphql` (docs/spec/dgraph.md §4): the request is read and
//! bounded here, the operations are in `schema/cerebro.rs`.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;

use crate::AppState;
use crate::dgraph::Dgraph;
use crate::dgraph::auth::GraphqlCaller;
use crate::dgraph::error::{CerebroError, CerebroShape, UNAUTHORIZED};
use crate::dgraph::extract::Body;
use crate::dgraph::graphql;
use crate::dgraph::openapi;
use crate::dgraph::schema::cerebro::Caller;

/// `POST /graphql`: Cerebro's GraphQL API.
#[utoipa::path(
    post,
    path = "/graphql",
    tag = "graphql",
    request_body(content(
        (openapi::GraphqlRequest = "application/json"),
        (String = "application/graphql"),
    )),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The GraphQL response; errors are in `errors`", body = openapi::GraphqlResponse),
        (status = 400, description = "The body is not a GraphQL request", body = openapi::GraphqlResponse),
    ),
)]
pub async fn graphql(
    State(state): State<AppState>,
    caller: GraphqlCaller,
    headers: HeaderMap,
    body: Body<CerebroShape>,
) -> Result<Json<async_graphql::Response>, CerebroError> {
    let request = graphql::read(&headers, &body.bytes, &state.config.graphql)?;
    let request = request.data(caller.cerebro).data(Caller(caller.account));
    let mut response = graphql::execute(&Dgraph::of(&state).schemas().cerebro, request).await;
    // An unauthorized call answers `"data": null` (docs/spec/dgraph.md §9.1).
    if response.errors.iter().any(|e| e.message == UNAUTHORIZED) {
        response.data = async_graphql::Value::Null;
    }
    Ok(Json(response))
}
