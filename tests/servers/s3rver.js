// Starts s3rver (an S3-compatible server) on 127.0.0.1 with an ephemeral port, for the tests.
// Usage: node s3rver.js --dir DIR --bucket NAME --port-file FILE
// Writes the port to FILE once it listens; stops on SIGTERM, or when the test that started it
// is gone (its parent changes), so a crashed test leaves no server behind.
'use strict';
const path = require('path');
const fs = require('fs');
const S3rver = require(path.join(__dirname, 'node_modules', 's3rver'));

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  if (i < 0 || i + 1 >= args.length) throw new Error(`missing ${name}`);
  return args[i + 1];
};
const dir = opt('--dir');
const bucket = opt('--bucket');
const portFile = opt('--port-file');

const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory: dir,
  vhostBuckets: false,
  configureBuckets: [{ name: bucket }],
});
server.run((err, addr) => {
  if (err) {
    console.error(err);
    process.exit(1);
  }
  fs.writeFileSync(portFile + '.tmp', String(addr.port));
  fs.renameSync(portFile + '.tmp', portFile);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) stop();
}, 500).unref();
