# selfref daemon image: the package and its offline embedding model, nothing else.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY tracker ./tracker
COPY crawlers ./crawlers
COPY index ./index
COPY alerts ./alerts
RUN pip install --no-cache-dir '.[postgres]'  # compose.yaml runs it on PostgreSQL
ENV SELFREF_HOME=/var/lib/selfref
VOLUME /var/lib/selfref
EXPOSE 8765
CMD ["selfref", "daemon", "--host", "0.0.0.0"]
