# antom-auth: one image for the worker, the API and the development sandbox (docker-compose picks the command).
FROM node:20-bookworm-slim

ENV NODE_ENV=production
WORKDIR /app

# Dependencies first (cached layer); tsx is a runtime dependency, so no build step is needed.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts=false && npm cache clean --force

COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src

# Prebundle the workflow code: workers start fast and run exactly the code of this image.
RUN node --import tsx src/worker.ts --bundle dist/workflow-bundle.js
ENV WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js

USER node
EXPOSE 8080
CMD ["node", "--import", "tsx", "src/api/server.ts"]
