# connect-capacity %pre: the static system user the service runs as.
getent group connect-capacity >/dev/null || groupadd --system connect-capacity
getent passwd connect-capacity >/dev/null || useradd --system --gid connect-capacity \
    --home-dir /var/lib/connect-capacity --no-create-home --shell /sbin/nologin \
    --comment "connect-capacity scheduled reports" connect-capacity
exit 0
