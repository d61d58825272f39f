<?php
/*
 * check-package.php - packaging hygiene (STYLE point 19): package.xml must
 * list every file of the package, and nothing that does not exist; and no
 * shipped file may point outside the package (../shared, the external spec).
 *
 *   php scripts/check-package.php           check; exit 1 with the list of
 *                                           missing / stale entries
 *   php scripts/check-package.php --update  rewrite package.xml's <contents>
 *                                           from the files of the package
 *
 * The package = the files matching PACKAGE_RULES below (first match gives
 * the PEAR role). Files come from `git ls-files` (tracked files) when run
 * in a git checkout, else from the file system (a release tarball). In a
 * checkout, untracked files that match a rule are reported as a warning:
 * `git add` them and run --update.
 */

declare(strict_types=1);

/** glob-like pattern (`*` = one path segment part, `**` = any depth) => role */
const PACKAGE_RULES = [
    'config.m4' => 'src',
    'config.w32' => 'src',
    'Makefile.frag' => 'src',
    'core/*.c' => 'src',
    'core/*.h' => 'src',
    'core/Makefile' => 'src',
    'ext/*' => 'src',
    'stubs/*' => 'src',
    'scripts/gen-arginfo.sh' => 'src',
    'scripts/check-package.php' => 'src',
    'php-tests/*.phpt' => 'test',
    'php-tests/*.inc' => 'test',
    'php-tests/*.php' => 'test',      // helpers (tracked); run-tests output is not tracked
    'core/tests/**' => 'test',
    'core/fuzz/**' => 'test',
    'README.md' => 'doc',
    'LICENSE' => 'doc',
    'docs/*' => 'doc',
    'bin/wspush' => 'script',
    'yii/*.php' => 'php',             // installed as php_dir/WsPush/Yii/ (<extsrcrelease> filelist)
    'composer.json' => 'doc',
];

/** where a role="php" file is installed under php_dir (PSR-4 WsPush\\Yii\\ -> yii/) */
function install_as(string $path): string
{
    return preg_replace('#^yii/#', 'WsPush/Yii/', $path);
}

/** the <extsrcrelease> element: install names for the role="php" files */
function extsrcrelease_xml(array $files): string
{
    $lines = [];
    foreach ($files as $path => $role) {
        if ($role === 'php') {
            $lines[] = sprintf('      <install as="%s" name="%s"/>', htmlspecialchars(install_as($path), ENT_XML1),
                htmlspecialchars($path, ENT_XML1));
        }
    }
    if (!$lines) {
        return '  <extsrcrelease/>';
    }
    return implode("\n", array_merge(['  <extsrcrelease>', '    <filelist>'], $lines, ['    </filelist>', '  </extsrcrelease>']));
}

function rule_regex(string $pattern): string
{
    $re = preg_quote($pattern, '#');
    $re = str_replace(['\*\*', '\*'], ['.+', '[^/]*'], $re);
    return "#^$re$#";
}

/** role of $path, or null when it is not part of the package */
function role_of(string $path): ?string
{
    foreach (PACKAGE_RULES as $pattern => $role) {
        if (preg_match(rule_regex($pattern), $path)) {
            return $role;
        }
    }
    return null;
}

/** @return list<string> repository-relative paths */
function list_files(string $root, bool $untracked = false): array
{
    if (is_dir("$root/.git") || is_file("$root/.git")) {
        $flags = $untracked ? '--others --exclude-standard' : '--cached';
        exec('git -C ' . escapeshellarg($root) . " ls-files $flags", $out, $rc);
        if ($rc === 0) {
            return array_values(array_filter($out, fn($p) => is_file("$root/$p")));
        }
    }
    if ($untracked) {
        return [];
    }
    $files = [];
    $it = new RecursiveIteratorIterator(new RecursiveDirectoryIterator($root, FilesystemIterator::SKIP_DOTS));
    foreach ($it as $f) {
        $files[] = substr($f->getPathname(), strlen($root) + 1);
    }
    return $files;
}

/** @return array<string, string> path => role */
function package_files(string $root): array
{
    $files = [];
    foreach (list_files($root) as $p) {
        if (($role = role_of($p)) !== null) {
            $files[$p] = $role;
        }
    }
    ksort($files, SORT_STRING);
    return $files;
}

/** @return array<string, string> path => role, as listed in package.xml */
function listed_files(string $xmlFile): array
{
    $doc = new DOMDocument();
    if (!@$doc->load($xmlFile)) {
        fwrite(STDERR, "check-package: cannot parse $xmlFile\n");
        exit(1);
    }
    $xp = new DOMXPath($doc);
    $xp->registerNamespace('p', 'http://pear.php.net/dtd/package-2.0');
    $listed = [];
    foreach ($xp->query('//p:contents//p:file') as $file) {
        $parts = [];
        for ($n = $file->parentNode; $n instanceof DOMElement && $n->localName === 'dir'; $n = $n->parentNode) {
            $parts[] = trim($n->getAttribute('name'), '/');
        }
        $dir = implode('/', array_filter(array_reverse($parts), 'strlen'));
        $path = ($dir === '' ? '' : "$dir/") . $file->getAttribute('name');
        $listed[$path] = $file->getAttribute('role');
    }
    return $listed;
}

$root = dirname(__DIR__);
$xmlFile = "$root/package.xml";
$files = package_files($root);

if (($argv[1] ?? '') === '--update') {
    $xml = file_get_contents($xmlFile);
    $lines = ["  <contents>", "    <dir name=\"/\">"];
    foreach ($files as $path => $role) {
        $lines[] = sprintf('      <file name="%s" role="%s"/>', htmlspecialchars($path, ENT_XML1), $role);
    }
    $lines[] = "    </dir>";
    $lines[] = "  </contents>";
    $new = preg_replace('#[ \t]*<contents>.*?</contents>#s', implode("\n", $lines), $xml, 1, $n);
    if ($n !== 1) {
        fwrite(STDERR, "check-package: no <contents> element in package.xml\n");
        exit(1);
    }
    $new = preg_replace('#[ \t]*<extsrcrelease\s*/>|[ \t]*<extsrcrelease>.*?</extsrcrelease>#s',
        str_replace('$', '\\$', extsrcrelease_xml($files)), $new, 1, $n);
    if ($n !== 1) {
        fwrite(STDERR, "check-package: no <extsrcrelease> element in package.xml\n");
        exit(1);
    }
    file_put_contents($xmlFile, $new);
    echo "package.xml: " . count($files) . " files listed\n";
    exit(0);
}

$listed = listed_files($xmlFile);
$errors = [];
foreach ($files as $path => $role) {
    if (!isset($listed[$path])) {
        $errors[] = "missing from package.xml: $path";
    } elseif ($listed[$path] !== $role) {
        $errors[] = "wrong role for $path: \"{$listed[$path]}\", expected \"$role\"";
    }
}
foreach ($listed as $path => $role) {
    if (!is_file("$root/$path")) {
        $errors[] = "listed in package.xml but does not exist: $path";
    } elseif (!isset($files[$path])) {
        $errors[] = "listed in package.xml but not part of the package (see PACKAGE_RULES): $path";
    }
}
// Shipped files stand on their own: no pointer to the project's reference
// directory or its spec (docs/protocol.md and docs/delivery.md say it here).
foreach (array_keys($files) as $path) {
    foreach (file("$root/$path") ?: [] as $i => $line) {
        if (preg_match('#\.\./shared/(?!vendor/)|\bSPEC(\.md| [0-9]| section)#', $line)) {
            $errors[] = "$path:" . ($i + 1) . " points outside the package: " . trim($line);
        }
    }
}
if (!str_contains((string)file_get_contents($xmlFile), extsrcrelease_xml($files))) {
    $errors[] = "<extsrcrelease> does not install every role=\"php\" file where it belongs (" . implode(', ',
        array_map('install_as', array_keys(array_filter($files, fn($r) => $r === 'php')))) . ")";
}
foreach (list_files($root, true) as $p) {
    if (role_of($p) !== null && !isset($listed[$p])) {
        fwrite(STDERR, "check-package: warning: untracked $p is not in package.xml (git add it, then --update)\n");
    }
}
if ($errors) {
    fwrite(STDERR, implode("\n", array_map(fn($e) => "check-package: $e", $errors)) . "\n");
    fwrite(STDERR, "check-package: run `php scripts/check-package.php --update` and commit package.xml\n");
    exit(1);
}
echo "package.xml lists all " . count($files) . " files of the package\n";
