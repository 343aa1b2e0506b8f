"""The tests' helpers and servers, shared with the benchmarks: one job per module.

Real servers on loopback (snapshot, RTSP, PostgreSQL, the web app, webhook and SMTP receivers), the
real data in ``../shared/data``, sample images, enrolled cameras and fleets, and history written
straight through the database API.
"""
