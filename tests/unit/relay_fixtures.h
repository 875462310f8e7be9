// Shared inputs for the relay's unit tests: Alertmanager payloads as Alertmanager sends them.
#pragma once

#include <string>

#include "relay/alert.h"
#include "relay/targets.h"

namespace aggregator::relay::testing {

// A target with this URL and secret, no mentions.
inline Target Robot(std::string url, std::string secret = "") {
  Target target;
  target.url = std::move(url);
  target.secret = std::move(secret);
  return target;
}

// Two firing risk alerts (one with a Chinese subject name) and one resolved operations alert.
inline std::string SamplePayload() {
  return R"json({
  "version": "4",
  "groupKey": "{}:{alertname=\"NewApiBurst\"}",
  "truncatedAlerts": 0,
  "status": "firing",
  "receiver": "dingtalk",
  "groupLabels": {"alertname": "NewApiBurst"},
  "commonLabels": {"alertname": "NewApiBurst"},
  "commonAnnotations": {},
  "externalURL": "http://127.0.0.1:9093",
  "alerts": [
    {
      "status": "firing",
      "labels": {"alertname": "NewApiBurst", "severity": "critical", "rule": "burst", "subject_type": "token",
                 "subject_id": "42", "subject_name": "张三的key", "job": "newapi-exporter"},
      "annotations": {"summary": "Token 42 made 130 requests in 60 s",
                      "description": "Threshold 120 requests per 60 s.\nScore 130.",
                      "drilldown_path": "/anomalies/detail?rule=burst&subject_type=token&subject_id=42",
                      "runbook_url": "https://example.com/runbook.md#newapiburst"},
      "startsAt": "2024-05-01T12:00:00.123456789Z",
      "endsAt": "0001-01-01T00:00:00Z",
      "generatorURL": "http://127.0.0.1:9090/graph",
      "fingerprint": "a1b2c3d4e5f60718"
    },
    {
      "status": "resolved",
      "labels": {"alertname": "NewApiChannelErrorRatioHigh", "severity": "warning", "channel": "7"},
      "annotations": {"summary": "Channel 7 fails 35% of requests"},
      "startsAt": "2024-05-01T11:00:00Z",
      "endsAt": "2024-05-01T11:30:00Z",
      "generatorURL": "",
      "fingerprint": "0f1e2d3c4b5a6978"
    },
    {
      "status": "firing",
      "labels": {"alertname": "NewApiBurst", "severity": "critical", "rule": "burst", "subject_type": "token",
                 "subject_id": "7", "subject_name": "<at id=all></at>[x](http://evil.example)"},
      "annotations": {"summary": "Token 7 made 125 requests in 60 s",
                      "drilldown_path": "/anomalies/detail?rule=burst&subject_type=token&subject_id=7"},
      "startsAt": "2024-05-01T12:00:30Z",
      "endsAt": "0001-01-01T00:00:00Z",
      "generatorURL": "",
      "fingerprint": "1122334455667788"
    }
  ]
})json";
}

inline Notification SampleNotification() {
  std::string error;
  return *ParseNotification(SamplePayload(), &error);
}

// count firing alerts, each with a long description, for truncation tests.
inline Notification ManyAlerts(int count, const std::string& description) {
  Notification notification;
  notification.status = "firing";
  notification.group_labels = {{"alertname", "NewApiBurst"}};
  for (int i = 0; i < count; ++i) {
    Alert alert;
    alert.status = "firing";
    alert.labels = {{"alertname", "NewApiBurst"},
                    {"severity", "critical"},
                    {"rule", "burst"},
                    {"subject_type", "token"},
                    {"subject_id", std::to_string(i)}};
    alert.annotations = {
        {"summary", "令牌 " + std::to_string(i) + " 突发请求"},
        {"description", description},
        {"drilldown_path", "/anomalies/detail?rule=burst&subject_type=token&subject_id=" + std::to_string(i)}};
    alert.starts_at = "2024-05-01T12:00:00Z";
    notification.alerts.push_back(alert);
  }
  return notification;
}

}  // namespace aggregator::relay::testing
