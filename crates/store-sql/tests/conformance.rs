//! The store conformance suite on the backend of this test run (SQLite by default,
//! PostgreSQL when TRIPDESK_TEST_DATABASE_URL is set).

tripdesk_store::conformance_tests!(tripdesk_store_sql::testing::fresh_store());
tripdesk_store::jobs_conformance_tests!(tripdesk_store_sql::testing::fresh_store());
