# connect-capacity %preun: on removal (not upgrade), stop and disable the timer.
if [ "$1" -eq 0 ] && command -v systemctl >/dev/null; then
    systemctl --no-reload disable --now connect-capacity.timer >/dev/null 2>&1 || :
fi
exit 0
