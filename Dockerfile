# Static lineage binary on a distroless base, running as non-root.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/lineage ./cmd/lineage

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/lineage /usr/local/bin/lineage
USER nonroot:nonroot
EXPOSE 8080 8081
ENTRYPOINT ["/usr/local/bin/lineage"]
CMD ["serve", "--config", "/etc/lineage/lineage.yaml"]
