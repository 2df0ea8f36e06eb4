// Reference buckets for Armory's assignment hash, computed independently of the Swift code:
// JavaScript strings are UTF-16, so charCodeAt gives exactly the code units GrowthBook hashes.
// Run: node make-hash-vectors.js > hash-vectors.json
function fnv1a32(text) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

function bucket(seed, unit) {
  return (fnv1a32(String(fnv1a32(seed + unit))) % 10000) / 10000;
}

const seeds = ["homepage-rail", "", "seed", "détail", "实验", "rocket-🚀", "a".repeat(64)];
const units = [
  "user-1", "user-2", "42", "", "0", "ünïcödé", "日本語ユーザー", "emoji-😀", "👩‍👩‍👧‍👦", "Ωmega",
  "x".repeat(200), "user_0001", "CAPS", " spaced ", "tab\tin", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
];
const vectors = [];
for (const seed of seeds) {
  for (const unit of units) {
    vectors.push({ seed, unit, inner: fnv1a32(seed + unit), bucket: bucket(seed, unit) });
  }
}
console.log(JSON.stringify(vectors, null, 1));
