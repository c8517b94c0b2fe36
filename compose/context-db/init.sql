-- One database per context that keeps a mirror (connectors/README.md): the JDBC sinks create
-- their tables in it.
CREATE DATABASE playback;
CREATE DATABASE notifications;
