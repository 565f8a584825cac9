// Verifies a Sigstore bundle with sigstore-js (@sigstore/verify), independently of gitsign.
//
//   node verify.mjs --bundle B --trusted-root T --identity I --issuer U FILE
//
// Checks the bundle against the trusted root (certificate chain, one SCT, one transparency-log
// entry with its inclusion proof and signed checkpoint, signed entry timestamp) and the
// certificate against the identity (the SAN, exactly) and OIDC issuer. Prints `OK <identity>` and exits 0;
// prints `FAIL <error code>: <message>` and exits 1 when verification refuses; exits 2 on a usage
// or input error.
import { readFileSync } from 'node:fs';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';

function usage(message) {
  console.error(`verify.mjs: ${message}`);
  console.error('usage: node verify.mjs --bundle B --trusted-root T --identity I --issuer U FILE');
  process.exit(2);
}

const options = {};
const files = [];
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const flag = args[i];
  if (['--bundle', '--trusted-root', '--identity', '--issuer'].includes(flag)) {
    if (i + 1 >= args.length) usage(`${flag} needs a value`);
    options[flag.slice(2)] = args[++i];
  } else if (flag.startsWith('--')) {
    usage(`unknown flag ${flag}`);
  } else {
    files.push(flag);
  }
}
for (const name of ['bundle', 'trusted-root', 'identity', 'issuer']) {
  if (!options[name]) usage(`--${name} is required`);
}
if (files.length !== 1) usage('exactly one FILE is required');

let bundle, trustMaterial, artifact;
try {
  bundle = bundleFromJSON(JSON.parse(readFileSync(options.bundle, 'utf8')));
  trustMaterial = toTrustMaterial(TrustedRoot.fromJSON(JSON.parse(readFileSync(options['trusted-root'], 'utf8'))));
  artifact = readFileSync(files[0]);
} catch (e) {
  usage(`cannot read the inputs: ${e.message}`);
}

try {
  const verifier = new Verifier(trustMaterial, { tlogThreshold: 1, ctlogThreshold: 1, timestampThreshold: 1 });
  // sigstore-js reads a string identity as a regular expression that may match anywhere in the
  // SAN; the identity asked for is matched exactly.
  const exact = new RegExp(`^${options.identity.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const signer = verifier.verify(toSignedEntity(bundle, artifact), {
    subjectAlternativeName: exact,
    extensions: { issuer: options.issuer },
  });
  console.log(`OK ${signer.identity?.subjectAlternativeName ?? ''}`);
} catch (e) {
  console.log(`FAIL ${e.code ?? e.name}: ${e.message}`);
  process.exit(1);
}
