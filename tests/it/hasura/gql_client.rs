//! gql_client
