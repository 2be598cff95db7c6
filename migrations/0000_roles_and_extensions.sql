-- Roles are cluster-wide, so create them only if another database on this cluster has not already.
-- arrears_app: every request runs as this role (SET LOCAL ROLE inside its transaction). No superuser, no BYPASSRLS.
-- arrears_auth: owns the one SECURITY DEFINER function that looks up an API key before the tenant is known.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'arrears_app') THEN
    CREATE ROLE arrears_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'arrears_auth') THEN
    CREATE ROLE arrears_auth NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
END
$$;
--> statement-breakpoint
-- The connecting role must be able to switch to the app role per transaction.
GRANT arrears_app TO CURRENT_USER;
--> statement-breakpoint
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE EXTENSION IF NOT EXISTS btree_gin;
