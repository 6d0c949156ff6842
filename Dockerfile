# The dse image: workers (python -m dse.run) and the dashboard (python -m dse.dashboard).
# CPU torch by default; for GPU workers build with --build-arg TORCH_INDEX=https://pypi.org/simple
FROM python:3.11-slim
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
ENV PYTHONUNBUFFERED=1 CI=true
WORKDIR /app
RUN pip install --no-cache-dir --index-url "${TORCH_INDEX}" torch==2.13.0
COPY pyproject.toml README.md ./
COPY dse ./dse
COPY conf ./conf
RUN mkdir -p studies && pip install --no-cache-dir -e ".[cluster]"
CMD ["python", "-m", "dse.run", "+sweep=squeeze_ratio", "storage=postgresql"]
