-- Runs after the schema exists (sqlserver-login service, after migrate-sqlserver). Idempotent: the fleet may restart.
-- dmp_app reads and writes rows; it cannot change the schema and is not an administrator.
IF NOT EXISTS (SELECT 1 FROM sys.server_principals WHERE name = N'dmp_app')
    CREATE LOGIN dmp_app WITH PASSWORD = N'$(AppPassword)', CHECK_POLICY = ON;
GO
USE Dmp;
GO
IF NOT EXISTS (SELECT 1 FROM sys.database_principals WHERE name = N'dmp_app')
    CREATE USER dmp_app FOR LOGIN dmp_app;
GO
ALTER ROLE db_datareader ADD MEMBER dmp_app;
ALTER ROLE db_datawriter ADD MEMBER dmp_app;
GO
