# Sourced by scripts/services.sh and scripts/cluster.sh: the configuration of a ClickHouse
# server of theirs, on 127.0.0.1 with its files under one folder.

# Writes <home>/config.xml and <home>/users.xml and makes the folders the server needs.
#   write_clickhouse_config HOME HTTP_PORT TCP_PORT MARK_CACHE_BYTES MAX_QUERY_MEMORY_BYTES USER PASSWORD [EXTRA_XML]
# USER (with PASSWORD) and `default` (no password) may connect from loopback only; EXTRA_XML
# goes inside <yandex> (a cluster's <zookeeper>, <macros>, <remote_servers>, …).
write_clickhouse_config() {
  local home=$1 http_port=$2 tcp_port=$3 mark_cache=$4 max_memory=$5 user=$6 password=$7 extra=${8:-}
  mkdir -p "$home/data" "$home/tmp" "$home/user_files" "$home/format_schemas" "$home/log"
  cat >"$home/config.xml" <<XML
<yandex>
  <logger><level>warning</level><log>$home/log/server.log</log><errorlog>$home/log/error.log</errorlog></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$http_port</http_port>
  <tcp_port>$tcp_port</tcp_port>
  <path>$home/data/</path>
  <tmp_path>$home/tmp/</tmp_path>
  <user_files_path>$home/user_files/</user_files_path>
  <format_schema_path>$home/format_schemas/</format_schema_path>
  <users_config>$home/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mlock_executable>false</mlock_executable>
  <mark_cache_size>$mark_cache</mark_cache_size>
  $extra
</yandex>
XML
  cat >"$home/users.xml" <<XML
<yandex>
  <profiles><default><max_memory_usage>$max_memory</max_memory_usage></default></profiles>
  <users>
    <default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default>
    <$user><password>$password</password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></$user>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
XML
}
