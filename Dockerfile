# Container images of newapi-observer's binaries, built on Debian 12 with the same packages as the native stack (MySQL
# and PostgreSQL clients): targets `exporter`, `aggregator` and `simulator` (the demo's traffic). Used by
# docker-compose.yml.
FROM debian:12 AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
      cmake g++ make pkg-config prometheus-cpp-dev libcpp-httplib-dev libmariadb-dev nlohmann-json3-dev \
      libyaml-cpp-dev libhiredis-dev libssl-dev libpq-dev libcrypt-dev libabsl-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake cmake
COPY common common
COPY exporter exporter
COPY aggregator aggregator
COPY simulator simulator
COPY schema schema
COPY bench bench
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DOBSERVER_BUILD_TESTS=OFF \
    && cmake --build /build -j"$(nproc)" --target newapi-exporter newapi-aggregator newapi-sim

FROM debian:12-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends \
      libmariadb3 libpq5 libprometheus-cpp-core1.0 libcpp-httplib0.11 libyaml-cpp0.7 libhiredis0.14 libssl3 \
      libcrypt1 libabsl20220623 ca-certificates curl tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home observer
USER observer

FROM runtime AS exporter
COPY --from=build /build/exporter/newapi-exporter /usr/local/bin/
ENV API_HOST=0.0.0.0
EXPOSE 8080
HEALTHCHECK --interval=20s --timeout=5s --retries=3 CMD curl -fsS http://127.0.0.1:8080/api/health || exit 1
ENTRYPOINT ["newapi-exporter"]

FROM runtime AS aggregator
COPY --from=build /build/aggregator/newapi-aggregator /usr/local/bin/
ENV AGGREGATOR_HOST=0.0.0.0
EXPOSE 8081
HEALTHCHECK --interval=20s --timeout=5s --retries=3 CMD curl -fsS http://127.0.0.1:8081/api/health || exit 1
ENTRYPOINT ["newapi-aggregator"]

FROM runtime AS simulator
USER root
RUN apt-get update && apt-get install -y --no-install-recommends mariadb-client postgresql-client \
    && rm -rf /var/lib/apt/lists/*
USER observer
COPY --from=build /build/simulator/newapi-sim /usr/local/bin/
COPY schema/observer-tables.sql schema/grants.sql schema/grants-logs.sql schema/observer-tables.postgres.sql \
     schema/grants.postgres.sql schema/grants-logs.postgres.sql schema/fill-grants.sh /opt/newapi-observer/schema/
COPY deploy/demo-database.sh /usr/local/bin/demo-database
ENTRYPOINT ["demo-database"]
