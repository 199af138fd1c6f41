# DmpApi container image. Defaults to SQL Server (production); see docker-compose.yml for a dev stack.
#   docker build -t dmpapi . && docker run -p 8080:8080 -e ConnectionStrings__Dmp=... -e Auth__...=... dmpapi

# ---- build ----------------------------------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore inputs first, so the restore layer is reused until a package or the SDK pin changes.
# The project (not DmpApi.sln) is restored: the solution would also need every test project's csproj.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/DmpApi/DmpApi.csproj src/DmpApi/
RUN dotnet restore src/DmpApi/DmpApi.csproj
COPY src/ src/
# No apphost: the image runs `dotnet DmpApi.dll`. InvariantGlobalization=false: Microsoft.Data.SqlClient
# refuses globalization-invariant mode (throws on the first connection), and this image runs on SQL
# Server; the aspnet image has ICU. (Redundant once DmpApi.csproj itself sets it to false.)
RUN dotnet publish src/DmpApi -c Release -o /app --no-restore -p:UseAppHost=false -p:InvariantGlobalization=false

# ---- runtime --------------------------------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
# curl only for HEALTHCHECK: the aspnet image (Ubuntu 24.04) ships neither curl nor wget.
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app .
# SqlServer rather than the app's Sqlite default: /app is read-only for the non-root user, and
# production runs on SQL Server. ConnectionStrings__Dmp and Auth__* must be supplied at run time.
ENV Database__Provider=SqlServer \
    ASPNETCORE_HTTP_PORTS=8080
EXPOSE 8080
# Non-root `app` user (UID 1654) that the .NET images provide.
USER $APP_UID
# /ready checks the database and the audit queue; start-period covers migrations at first start.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD curl -fsS -o /dev/null http://localhost:8080/ready || exit 1
ENTRYPOINT ["dotnet", "DmpApi.dll"]
