// Git remote URLs made safe to show: a label, a log line, `--dry-run` output.
// Pure (no git, no process), so `init` can use it too.

/**
 * A git remote URL with its credentials removed, in the form it was given.
 * `scheme://userinfo@host/...` (any scheme, any case: https, ssh, git+ssh,
 * ftp, ...) loses the whole userinfo (a token is often the user name:
 * `https://TOKEN@github.com/...`); the userinfo ends at the last `@` of the
 * authority, so a password with an encoded (`%40`) or raw `@` goes too.
 * An scp-like `user@host:path` (git's syntax when a `:` comes before any `/`)
 * keeps its user, which is not a secret, and loses a `:password`.
 */
export function redactRemote(remote: string): string {
  const url = remote.trim();
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url);
  if (scheme) {
    const rest = url.slice(scheme[0].length);
    // The authority ends at the first `/`, `?` or `#`; a raw `/` inside a password cannot be told
    // from a path, so an `@` anywhere before the path's first `/` that follows a host-like part wins.
    const end = rest.search(/[/?#]/);
    const authority = end < 0 ? rest : rest.slice(0, end);
    let at = authority.lastIndexOf('@');
    if (at < 0) {
      // `user:pa/ss@host/...`: a credential with a raw `/`. Take the last `@` followed by a host and a path or the end.
      const m = /@([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d*)?(?=[/?#]|$)/g;
      let hit: RegExpExecArray | null;
      let last = -1;
      while ((hit = m.exec(rest))) if (rest.slice(0, hit.index).includes(':')) last = hit.index;
      at = last;
    }
    return `${scheme[1]!.toLowerCase()}://${at < 0 ? rest : rest.slice(at + 1)}`;
  }
  // scp-like: `user[:password]@host:path`; the password may hold anything but the last `@`.
  const scp = /^([^:@/]*)(?::.*)?@([A-Za-z0-9.-]+:(?!\/\/)[^@]*)$/.exec(url);
  if (scp) return `${scp[1] ? `${scp[1]}@` : ''}${scp[2]}`;
  return url;
}

/**
 * The https URL of a remote for the `org.opencontainers.image.source` label:
 * credentials removed, trailing `/` and `.git` dropped (git takes
 * `host:path/repo.git/` as it takes `host:path/repo`, git-clone(1) "GIT
 * URLS"). The label is the URL to get the image's source code from (OCI
 * image-spec annotations.md), which docker/metadata-action fills with the
 * repository's web address (src/meta.ts, `repo.html_url`). A remote that
 * names no host to fetch from (a local path such as `/srv/git/app.git` or
 * `../app`, a `file://` URL, a Windows drive path, a remote helper's
 * `transport::address`) has none: '' (no label), never a path of the
 * machine that built the image.
 */
export function httpsSource(remote: string): string {
  let url = redactRemote(remote);
  if (!url || /^file:/i.test(url) || /^[A-Za-z][A-Za-z0-9+.-]*::/.test(url) || /^[A-Za-z]:[\\/]/.test(url)) return '';
  const scheme = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]/.test(url);
  // git reads `host:path` as ssh (scp-like) only when no `/` comes before the first `:`.
  const scp = scheme ? null : /^(?:[^@/:]+@)?([\w.-]+):(?!\/\/)(.+)$/.exec(url);
  if (!scheme && !scp) return '';
  if (scp) url = `https://${scp[1]}/${scp[2]!.replace(/^\/+/, '')}`;
  url = url.replace(/^(?:ssh|git\+ssh|ssh\+git|git):\/\/([^/:]+)(?::\d*)?\//, 'https://$1/');
  return url.replace(/\/+$/, '').replace(/\.git$/, '');
}
