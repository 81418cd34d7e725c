// Makes the vendored p2p-media-loader-core 2.3.1 announce PeerTube's swarm ids (p2p.md §0, §3).
//
// PeerTube 7.1+ players key a stream's swarm by video: `pt-v2-<videoUUID>-main-default-<resolution>`,
// and PeerTube's tracker allows exactly those info hashes. p2p-media-loader-core 2.3.1 always builds
// `v2-<swarmId>-<type>-<index>` and has no hook for it (the `streamSwarmIdBuilder` option came in
// later majors). The player (web/public/assets/player.js) sets the stream index to
// `default-<resolution>` and the swarm id to `pt-v2-<videoUUID>`; this patch makes the core take a
// swarm id starting with `pt-` as already versioned, so the two meet. Any other swarm id keeps the
// library's own derivation. The patch fails loudly when the library's code no longer matches.
import { readFileSync, writeFileSync } from "node:fs";

const file = process.argv[2];
const source = readFileSync(file, "utf8");
const pattern = /return `\$\{(\w+)\}-\$\{(\w+)\}-\$\{(\w+)\((\w+)\)\}`;/g;
const matches = [...source.matchAll(pattern)];
if (source.includes("edgetube: pt- swarm ids")) process.exit(0);
if (matches.length !== 1) {
  console.error(`${file}: expected one stream swarm id template, found ${matches.length}`);
  process.exit(1);
}
const patched = source.replace(
  pattern,
  (_, version, swarm, streamId, stream) =>
    `/* edgetube: pt- swarm ids */ return ${swarm}.startsWith("pt-") ? \`\${${swarm}}-\${${streamId}(${stream})}\` : \`\${${version}}-\${${swarm}}-\${${streamId}(${stream})}\`;`,
);
writeFileSync(file, patched);
