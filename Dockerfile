# Production image: the Sunbid app and worker (configure with SUNBID_* variables; see docker-compose.yml).
FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-noto-cjk age poppler-utils \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY core core
COPY signing signing
COPY trading trading
COPY bidding bidding
COPY evaluation evaluation
COPY supervision supervision
COPY sunbid sunbid
COPY migrations migrations
RUN pip install --no-cache-dir .
RUN useradd --system --home /var/lib/sunbid sunbid && mkdir -p /var/lib/sunbid && chown sunbid /var/lib/sunbid
USER sunbid
ENV SUNBID_DATA_DIR=/var/lib/sunbid SUNBID_MODE=production SUNBID_HOST=0.0.0.0
EXPOSE 8000
CMD ["sunbid", "serve"]
