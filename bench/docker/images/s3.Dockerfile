# An S3-protocol server where LocalStack cannot be pulled: s3rver (the same version the
# embedded provider runs) on the Node base, keeping objects in the container only.
FROM node:22-bookworm-slim
WORKDIR /srv
COPY s3rver-version /srv/s3rver-version
RUN npm install --no-audit --no-fund --omit=dev "s3rver@$(cat /srv/s3rver-version)" && mkdir /srv/data && chown 1000:1000 /srv/data
USER node
EXPOSE 4566
CMD ["node", "/srv/node_modules/s3rver/bin/s3rver.js", "--address", "0.0.0.0", "--port", "4566", "--directory", "/srv/data"]
