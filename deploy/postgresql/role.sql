-- Least privilege for Shouwang. Run as the superuser in the application's database, after
-- `createdb --owner shouwang_owner shouwang`, and again after every restore:
--   sudo -u postgres psql -v ON_ERROR_STOP=1 -d shouwang -f deploy/postgresql/role.sql
-- then give each role its password: sudo -u postgres psql -c '\password shouwang' (and
-- shouwang_owner). Safe to run again.
--
-- shouwang_owner owns the schema and is used only by `shouwang migrate`
--   (shouwang-migrate.service) and `shouwang restore`.
-- shouwang        is what the API, the worker and `shouwang backup` log in as: it reads and
--   writes rows and can change nothing else; the audit log it may only add to.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'shouwang_owner') THEN
        CREATE ROLE shouwang_owner LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'shouwang') THEN
        CREATE ROLE shouwang LOGIN;
    END IF;
END
$$;

ALTER ROLE shouwang_owner NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
ALTER ROLE shouwang NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    CONNECTION LIMIT 300;
-- Set on the role, not per connection, so they hold through PgBouncer too (which refuses
-- the `options` startup parameter): a request waiting for a locked row gives up (503), a
-- runaway query is stopped, a transaction left open does not hold its locks for ever.
ALTER ROLE shouwang SET lock_timeout = '30s';
ALTER ROLE shouwang SET statement_timeout = '120s';
ALTER ROLE shouwang SET idle_in_transaction_session_timeout = '60s';

DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I OWNER TO shouwang_owner', current_database());
    EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO shouwang', current_database());
END
$$;

ALTER SCHEMA public OWNER TO shouwang_owner;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO shouwang;

-- What exists now (after a restore: everything) and what migrations create later.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO shouwang;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO shouwang;
ALTER DEFAULT PRIVILEGES FOR ROLE shouwang_owner IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO shouwang;
ALTER DEFAULT PRIVILEGES FOR ROLE shouwang_owner IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO shouwang;

-- The audit log is append-only for the application. (Before the first migration the table
-- does not exist yet: migrate, then run this file again.)
DO $$
BEGIN
    IF to_regclass('public.audit_entry') IS NOT NULL THEN
        REVOKE UPDATE, DELETE, TRUNCATE ON public.audit_entry FROM shouwang;
    END IF;
END
$$;
