//! A PostgreSQL database of its own for each test that needs one, on the server
//! `WARROOM_TEST_POSTGRES` names (those tests are `#[ignore]`d without it).

use uuid::Uuid;

/// A database of its own for one test, on the server `WARROOM_TEST_POSTGRES` names.
pub struct TestDb {
    pub admin: String,
    pub name: String,
    pub url: String,
}

pub fn admin_url() -> String {
    std::env::var("WARROOM_TEST_POSTGRES").unwrap_or_else(|_| {
        panic!(
            "set WARROOM_TEST_POSTGRES to a PostgreSQL URL whose user may CREATE DATABASE, \
             e.g. postgres://postgres@127.0.0.1:5432/postgres"
        )
    })
}

/// `url` with its database name replaced by `name` (query parameters kept).
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    }
}

impl TestDb {
    pub async fn create() -> TestDb {
        let admin = admin_url();
        let name = format!("warroom_test_{}", Uuid::now_v7().simple());
        let pool = sqlx::postgres::PgPool::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to WARROOM_TEST_POSTGRES: {e}"));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&pool)
            .await
            .unwrap_or_else(|e| panic!("cannot create the test database {name}: {e}"));
        pool.close().await;
        let url = with_database(&admin, &name);
        TestDb { admin, name, url }
    }

    /// Drops the database (FORCE: the stores' pools and listeners may still be open).
    pub async fn drop_db(self) {
        let pool = sqlx::postgres::PgPool::connect(&self.admin).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        )))
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    }
}
