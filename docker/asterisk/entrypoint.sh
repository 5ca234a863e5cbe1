#!/bin/sh
# Install callcontrol's Asterisk configuration and start Asterisk in the
# foreground. dialplan/extensions.conf and dialplan/confbridge.conf are
# mounted straight into /etc/asterisk (read-only); the files of
# config/asterisk/ are mounted at $CC_ASTERISK_CONFIG_DIR and copied, so the
# AMI secret can be put into manager.conf from CC_AMI_SECRET.
set -eu

src=${CC_ASTERISK_CONFIG_DIR:-/opt/callcontrol/asterisk-config}
etc=/etc/asterisk
placeholder=CHANGE_ME_AMI_SECRET

fail() {
    echo "cc-asterisk-entrypoint: $*" >&2
    exit 1
}

secret=${CC_AMI_SECRET:-}
[ -n "$secret" ] || fail "CC_AMI_SECRET is not set"
case $secret in
    *[!A-Za-z0-9._~-]*) fail "CC_AMI_SECRET may only hold letters, digits and . _ ~ -" ;;
    "$placeholder"*) fail "CC_AMI_SECRET is still the placeholder" ;;
esac
[ "${#secret}" -ge 24 ] || fail "CC_AMI_SECRET must be at least 24 characters"

for f in extensions.conf confbridge.conf; do
    [ -s "$etc/$f" ] || fail "$etc/$f is missing: mount it from dialplan/$f"
done

found=0
for f in "$src"/*.conf; do
    [ -e "$f" ] || break
    name=$(basename "$f")
    case $name in
        extensions.conf | confbridge.conf) fail "$name belongs in dialplan/, not in $src" ;;
    esac
    cp "$f" "$etc/$name"
    found=$((found + 1))
done
[ "$found" -gt 0 ] || fail "no configuration files in $src: mount config/asterisk there"
[ -f "$etc/manager.conf" ] || fail "manager.conf is missing from $src"

sed -i "s/^secret = $placeholder\$/secret = $secret/" "$etc/manager.conf"
if grep -q "$placeholder" "$etc/manager.conf"; then
    fail "manager.conf still holds $placeholder after substitution"
fi
chown root:asterisk "$etc/manager.conf"
chmod 0640 "$etc/manager.conf"

mkdir -p /var/run/asterisk
chown -R asterisk:asterisk /var/run/asterisk /var/log/asterisk /var/spool/asterisk /var/lib/asterisk

exec /usr/sbin/asterisk -f -U asterisk -G asterisk -vv "$@"
